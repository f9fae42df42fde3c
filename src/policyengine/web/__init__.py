"""The web front end: pages and a JSON API over the same Python API as the CLI."""
from .app import create_app as create_app
