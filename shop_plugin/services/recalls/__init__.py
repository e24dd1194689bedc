"""Recalls: withdraw lots of a GTIN, or single units, and find who must be told.

:func:`create_recall` checks the request, points the lots (``batches.recall_id``) and units
(``units.recall_id``) at the new recall, captures the recall in the merchant's EPCIS event
chain (an ObjectEvent OBSERVE, ``holding``, ``recalled``: lots as class-level quantities,
units in the EPC list), computes the impact, stores it in ``recalls.impact`` and queues the
``recall.created`` webhook, all in the caller's transaction.

The impact is set-based SQL over the units the recall covers (a lot's units through
``units(batch_id)``, named units by primary key) joined to their order lines and
orders by primary key, plus the lot-bound order lines (``order_lines(batch_id)``: lines bound
to the lot, with no units of their own). Counts: units by life-cycle status (in stock, sold,
shipped, delivered, returned), affected lines, orders and customers. The orders to notify are
listed a page at a time in order id order (:func:`recall_impact`), or all of them as CSV
(:func:`write_impact_csv`, one row per affected order line). Cancelled orders and lines
shipped nothing and are left out. ``recalls.impact`` keeps the counts as they were when the
recall was created; the impact endpoints recompute them from the tables, so an open recall's
list follows returns and late orders.

``batches.recall_id`` and ``units.recall_id`` name the *open* recall covering a lot or unit
(a unit's own recall, else its lot's): the public banner, fulfilment and the order pages read
them. A unit named in a recall keeps it when its lot is recalled too. Closing
(:func:`close_recall`) sets the status, time and note and clears them (a unit falls back to
its lot's open recall, if any); a closed recall still lists what it covered: its scope is
kept in the recall row (its lots, or the ids of the units it named, in ``recalls.impact``),
not read back from those columns. The lots and units are then free for a new recall.
"""

from shoptrace.shop_plugin.services.recalls.affected_orders import recall_impact
from shoptrace.shop_plugin.services.recalls.impact import IN_STOCK, impact_summary
from shoptrace.shop_plugin.services.recalls.impact_csv import CSV_COLUMNS, write_impact_csv
from shoptrace.shop_plugin.services.recalls.lifecycle import GS1_STEM, close_recall, create_recall
from shoptrace.shop_plugin.services.recalls.reading import (
    get_recall,
    list_recalls,
    recall_row,
    render_recall,
)
from shoptrace.shop_plugin.services.recalls.shapes import MAX_LOTS, MAX_UNITS

__all__ = [
    "CSV_COLUMNS",
    "GS1_STEM",
    "IN_STOCK",
    "MAX_LOTS",
    "MAX_UNITS",
    "close_recall",
    "create_recall",
    "get_recall",
    "impact_summary",
    "list_recalls",
    "recall_impact",
    "recall_row",
    "render_recall",
    "write_impact_csv",
]
