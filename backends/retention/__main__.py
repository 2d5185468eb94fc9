from backends.retention.app import main

main()
