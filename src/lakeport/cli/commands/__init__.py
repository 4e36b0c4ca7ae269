"""The handlers of the CLI's commands: each takes a Context, calls the facade, prints, returns."""
