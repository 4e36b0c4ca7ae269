"""Schema model: lakeport field specs as Spark types."""
