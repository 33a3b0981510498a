pytest_plugins = [
    "tests.fixtures.mqtt",
    "tests.fixtures.influx",
    "tests.fixtures.postgres",
]
