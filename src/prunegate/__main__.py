from prunegate.cli import main

main()
