"""The gateway's own use cases (staff accounts, onboarding, the platform), shared by its api and deploy.admin."""
