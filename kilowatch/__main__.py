"""`python -m kilowatch` runs the same command line as the installed `kilowatch` script."""

from kilowatch.cli import main

if __name__ == "__main__":
    main()
