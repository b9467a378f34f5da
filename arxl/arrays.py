"""Generic array helpers of the engine: id lookups on Arrow-backed text, stable multi-key sorts, and grouping of
sorted arrays.

Nothing here knows about receivables: each helper is a whole-array NumPy or Arrow operation that settlement,
metrics and the loader share. Rules they keep:

- Id lookups go through Arrow's hash sets (pandas' own ``isin`` walks a Python set value by value).
- Sorts are stable and take integer keys, most significant first; text ties compare by Unicode code point, as
  Python does, so an order never depends on the order of the input rows.
- "Grouped" helpers take arrays already sorted (or permuted) so that each group's members are contiguous.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# --- id lookups --------------------------------------------------------------------------------------------------

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


def text_column(array: pa.Array, rows: np.ndarray) -> pd.Series:
    """``array[rows]`` as a pandas ``str`` column."""
    return pd.Series(array.take(pa.array(rows, type=pa.int64())), dtype="str")


# --- stable sorts on integer keys --------------------------------------------------------------------------------

def _combined_key(keys: list[np.ndarray], spare_bits: int = 0) -> np.ndarray | None:
    """One int64 whose order is the lexicographic order of ``keys``, leaving ``spare_bits`` free below it, or
    None when it would not fit."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    span_total = 1
    for key in keys:
        low, high = int(key.min()), int(key.max())
        span = high - low + 1
        span_total *= span
        if span_total >= 2 ** (62 - spare_bits):
            return None
        combined = combined * span + (key - low)
    return combined


def _sorted(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Stable permutation sorting by integer ``keys`` (most significant first), and the sorted combined key
    when the keys fit in one int64 (else None)."""
    size = len(keys[0])
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    index_bits = max(int(size - 1).bit_length(), 1)
    combined = _combined_key(keys, index_bits)
    if combined is not None and np.count_nonzero(combined[1:] < combined[:-1]) * 64 < size:
        # Nearly in order already (documents are mostly entered by date): timsort merges the runs at once.
        order = np.argsort(combined, kind="stable")
        return order, combined[order]
    if combined is not None:
        # Sorting values is about twice as fast as argsort: carry the position in the low bits.
        packed = np.sort((combined << index_bits) | np.arange(size, dtype=np.int64))
        return packed & ((1 << index_bits) - 1), packed >> index_bits
    combined = _combined_key(keys)
    if combined is None:
        return np.lexsort(keys[::-1]), None
    order = np.argsort(combined, kind="stable")
    return order, combined[order]


def sort_order(keys: list[np.ndarray]) -> np.ndarray:
    """Stable permutation sorting by integer ``keys``, most significant first."""
    return _sorted(keys)[0]


def canonical_order(keys: list[np.ndarray], ties: list[pa.Array | np.ndarray]) -> np.ndarray:
    """Permutation sorting by integer ``keys`` (most significant first), then by ``ties`` (text or integers).

    Text comparison is the slow part, so it is only done inside runs of rows whose integer keys are equal.
    Text compares by Unicode code point, as Python does.
    """
    order, combined = _sorted(keys)
    if len(order) < 2:
        return order
    if combined is not None:
        same = combined[1:] == combined[:-1]
    else:
        same = np.ones(len(order) - 1, dtype=bool)
        for key in keys:
            ordered = key[order]
            same &= ordered[1:] == ordered[:-1]
    if not same.any():
        return order
    run = np.cumsum(np.r_[True, ~same]) - 1
    positions = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
    members = order[positions]
    table = {"run": run[positions]}
    for index, tie in enumerate(ties):
        table[f"tie{index}"] = (tie.take(pa.array(members, type=pa.int64())) if isinstance(tie, pa.Array)
                                else tie[members])
    within = pc.sort_indices(pa.table(table), sort_keys=[(name, "ascending") for name in table]).to_numpy()
    order[positions] = members[within]
    return order


# --- groups ------------------------------------------------------------------------------------------------------

def dense_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative codes -> (0, 1, 2, ... in the same order, the distinct codes ascending): ``np.unique`` with
    its inverse, without the sort when the codes are small."""
    if not len(codes):
        return codes.copy(), codes.copy()
    if int(codes.max()) < 4 * len(codes):
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        rank = np.cumsum(present) - 1
        return rank[codes], np.flatnonzero(present)
    distinct, dense = np.unique(codes, return_inverse=True)
    return dense.astype(np.int64), distinct


def group_first(sorted_groups: np.ndarray) -> np.ndarray:
    """For an array sorted by group: the position of the first element of each element's group."""
    size = len(sorted_groups)
    if not size:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    return np.maximum.accumulate(np.where(starts, np.arange(size), 0))


def grouped_exclusive_cumsum(values: np.ndarray, order: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Sum of the earlier values of the same group, groups given by ``order`` (a permutation that makes them
    contiguous) and ``first`` (``group_first`` of the permuted groups)."""
    ordered = values[order]
    exclusive = np.cumsum(ordered) - ordered
    result = np.empty_like(values)
    result[order] = exclusive - exclusive[first]
    return result
