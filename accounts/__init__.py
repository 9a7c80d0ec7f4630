"""Staff accounts, branches and departments, login and branch scoping."""
