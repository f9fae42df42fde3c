def pytest_configure(config):
    config.addinivalue_line("markers", "packaging: builds the project's wheel and installs it in a fresh virtual "
                                       "environment (deselect with -m 'not packaging')")
