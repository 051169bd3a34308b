"""The authorization server: token endpoint, discovery, introspection and revocation."""
