"""Setting a database up, not business rules: Jieyang's divisions imported from the package's
data, and the demo (its catalogue, population, logins and past) seeded through the services."""
