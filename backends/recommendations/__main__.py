from backends.recommendations.app import main

main()
