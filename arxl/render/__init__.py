"""Render: report frames -> sheet specs (values, formats, charts), plain csv/json/table output, exports, letters."""
