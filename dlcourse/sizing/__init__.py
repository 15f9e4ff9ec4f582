"""How big is it?  Output sizes, paddings, parameter counts, receptive fields, model tables.

>>> from dlcourse import sizing
>>> sizing.conv_output_size(32, 5, stride=1, padding=2), sizing.conv_params(3, 10, 5)
(32, 760)
"""

from dlcourse.sizing.sizes import (
    RFRow,
    conv_output_size,
    conv_params,
    conv_transpose_output_size,
    linear_params,
    pool_output_size,
    receptive_field,
    receptive_field_table,
    same_padding,
)
from dlcourse.sizing.summary import Summary, SummaryRow, summary

__all__ = [
    "RFRow",
    "Summary",
    "SummaryRow",
    "conv_output_size",
    "conv_params",
    "conv_transpose_output_size",
    "linear_params",
    "pool_output_size",
    "receptive_field",
    "receptive_field_table",
    "same_padding",
    "summary",
]
