"""Local fakes of outside systems (CRM APIs), answering in the vendors' documented shapes:
usable from pytest (pytest-httpserver on 127.0.0.1) and standalone (``python -m
tests.fakes.<name> --port N``)."""
