"""pav.data (folder data/): records, their schemas, reference data and the artifact store; all IO goes through it."""
