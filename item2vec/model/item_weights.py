"""The item-item weights a model folder carries for the familiar end of the ``--discover`` dial.

For every artist with a vector, its strongest positive EASE weights (Steck, WWW 2019):
how much listing that artist predicts listing each other one, learnt from every list at
once (:mod:`item2vec.training.ease` computes them from the catalogue). They are stored as
two dense ``(n, top)`` arrays, ``rows`` (vector rows of the partners, strongest first,
``-1`` padding) and ``weights`` (float32, positive, 0 where padded), so one query reads
one row of each.
"""

import numpy as np


class ItemWeights:
    """Each vector row's strongest item-item partners and their weights.

    Parameters
    ----------
    rows : ndarray of int, shape (n, top)
        Vector rows of each row's partners, strongest first; -1 pads a row with fewer.
    weights : ndarray of float32, shape (n, top)
        The weights, positive where ``rows`` is not -1 and 0 where it is.
    """

    def __init__(self, rows, weights):
        self.rows = np.asarray(rows)
        self.weights = np.asarray(weights, dtype=np.float32)

    def __len__(self):
        return len(self.rows)

    @property
    def top(self):
        """Partners kept per artist."""
        return self.rows.shape[1]

    def of(self, query_rows, n=None):
        """The summed weights of ``query_rows`` for every vector row, dense.

        EASE predicts a list's other artists by adding up the weights of the artists on
        it, so a query of several artists (``--plus``) is the sum of their rows.

        Parameters
        ----------
        query_rows : sequence of int
            Vector rows (artists with a vector).
        n : int, optional
            Length of the result (default: the number of rows of the table).

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        out = np.zeros(len(self) if n is None else n, dtype=np.float64)
        for row in query_rows:
            keep = self.rows[row] >= 0
            # np.add.at: a partner of two query artists gets both weights.
            np.add.at(out, self.rows[row][keep], self.weights[row][keep])
        return out

    def dense(self, dtype=np.float32):
        """The whole table as an ``(n, n)`` matrix (zeros outside each row's partners), for the evaluation."""
        n = len(self)
        out = np.zeros((n, n), dtype=dtype)
        i, k = np.nonzero(self.rows >= 0)
        out[i, self.rows[i, k]] = self.weights[i, k]
        return out
