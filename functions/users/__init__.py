"""Users: the account behind a login, its social accounts, and `/api/v1/users/me`."""
