"""Demo data: the Harbour Hotels organisation with a year of believable feedback."""
