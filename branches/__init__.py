"""Branch management: data synchronisation between branches and head office."""
