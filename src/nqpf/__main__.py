from nqpf.cli.main import main

main()
