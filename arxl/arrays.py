"""Set membership of ids, fast on Arrow-backed text (pandas' own ``isin`` walks a Python set value by value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_text(values: object) -> pa.Array:
    """Ids as an Arrow string array: no copy when they are Arrow-backed already, as loaded ids are."""
    if isinstance(values, pd.Series | pd.Index) and isinstance(values.dtype, pd.StringDtype) \
            and values.dtype.storage == "pyarrow":
        values = pa.array(values.array)
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, pd.Index | pd.Series | np.ndarray | list):
        return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    return pa.array(list(values), type=pa.string())  # type: ignore[call-overload]


def member(values: pd.Series, known: object) -> pd.Series:
    """``values.isin(known)`` through Arrow's hash set: pandas' own isin walks a Python set value by value."""
    found = pc.is_in(arrow_text(values), value_set=arrow_text(known))
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def position_in(values: pd.Series, keys: pd.Index | pd.Series) -> np.ndarray:
    """For each value, its position among ``keys``, or -1 (the first position where a key repeats)."""
    found = pc.index_in(arrow_text(values), value_set=arrow_text(keys))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def positions_in_many(columns: list[object], keys: pd.Index | pd.Series) -> list[np.ndarray]:
    """``position_in`` for several columns against the same keys, hashing the keys once."""
    arrays = [arrow_text(column).cast(pa.large_string()) for column in columns]
    if not arrays:
        return []
    found = position_in(pd.Series(pa.concat_arrays(arrays), dtype="str"), keys)
    return np.split(found, np.cumsum([len(array) for array in arrays])[:-1])
