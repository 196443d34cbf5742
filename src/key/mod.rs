//! The key: sources (vault, keyring, jwt, command, env) and the shared TTL cache.
