"""Set membership of ids, fast on Arrow-backed text (pandas' own ``isin`` walks a Python set value by value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def member(values: pd.Series, known: object) -> pd.Series:
    """``values.isin(known)`` through Arrow's hash set: pandas' own isin walks a Python set value by value."""
    if isinstance(known, pd.Index | pd.Series | np.ndarray | list):
        pool = pa.array(np.asarray(known, dtype=object), type=pa.string(), from_pandas=True)
    else:
        pool = pa.array(list(known), type=pa.string())  # type: ignore[call-overload]
    found = pc.is_in(pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True),
                     value_set=pool)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def position_in(values: pd.Series, keys: pd.Index | pd.Series) -> np.ndarray:
    """For each value, its position among ``keys`` (unique), or -1: ``Index.get_indexer`` through Arrow."""
    pool = pa.array(np.asarray(keys, dtype=object), type=pa.string(), from_pandas=True)
    found = pc.index_in(pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True),
                        value_set=pool)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
