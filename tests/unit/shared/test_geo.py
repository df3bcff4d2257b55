import pytest

from shared.geo import bounding_box, distance_m


def test_distances_in_hangzhou():
    west_lake, hangzhou_east = (30.2590, 120.1480), (30.2906, 120.2128)
    assert 7_000 < distance_m(*west_lake, *hangzhou_east) < 7_300
    lat_min, lat_max, lng_min, lng_max = bounding_box(*west_lake, 1000)
    assert lat_min < west_lake[0] < lat_max and lng_min < west_lake[1] < lng_max
    assert distance_m(west_lake[0], west_lake[1], lat_max, west_lake[1]) == pytest.approx(1000, rel=1e-3)


def test_every_point_within_the_radius_is_inside_its_bounding_box():
    centre = (30.2590, 120.1480)
    lat_min, lat_max, lng_min, lng_max = bounding_box(*centre, 5_000)
    for lat, lng in [(30.30, 120.148), (30.259, 120.20), (30.22, 120.10)]:
        if distance_m(*centre, lat, lng) <= 5_000:
            assert lat_min <= lat <= lat_max and lng_min <= lng <= lng_max
