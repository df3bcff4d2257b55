"""Running the mall: the local runner (deploy/local.py), container files and scripts."""
