"""The admin API (``/__admin``, specs/admin.yaml): routes in ``handlers``, guard in ``guard``."""
