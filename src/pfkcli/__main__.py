from pfkcli.cli import main

main()
