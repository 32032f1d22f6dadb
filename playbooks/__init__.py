"""pfk's default playbooks, shipped inside the package as `pfkcli.default_playbooks`.

The YAML files beside this one are what `pfk init` copies into a team's workspace, and what pfk reads
for a segment whose workspace file is missing. This file only lets Python find the folder.
"""
