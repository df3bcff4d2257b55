"""The project's common library: every service uses these pieces and no others for the same job."""
