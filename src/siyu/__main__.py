from siyu.cli.entry import main

main()
