"""Channel exports in, typed raw rows out; and the normalisation step that cleans raw rows."""
