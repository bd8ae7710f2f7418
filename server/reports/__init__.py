"""The monthly report: figures per grid, community, township and city for each period, stored by revision."""
