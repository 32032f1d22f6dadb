"""pfk: PFK student segmentation and callback planning for online-school operations teams."""

__version__ = "0.1.0"
