"""Pure DataFrame -> DataFrame transforms: mapping, conversion, datetimes, validation."""
