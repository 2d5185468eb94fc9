from backends.orders.app import main

main()
