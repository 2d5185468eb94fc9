from backends.pricing.app import main

main()
