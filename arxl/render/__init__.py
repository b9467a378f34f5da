"""Render: report frames -> sheet specs (values, formats, charts), plain csv/json/table output, exports and
letters. Pure: nothing here reads or writes a file."""
