"""The UI's languages: the Chinese catalogue, which language a request wants, and translation."""
