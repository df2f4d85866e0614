"""The member portal (/me/ and the home page): what a member sees of their own membership. Its
pages read through selectors and write through the domain apps' services; nothing below imports
it."""
