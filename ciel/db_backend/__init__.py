"""The PostgreSQL backend of ciel.settings: django_prometheus's, with a cheaper health check."""
