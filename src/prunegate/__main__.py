from prunegate.app.cli import main

main()
