"""Line sites segment by segment: segments whose zone cut is empty meet nothing.

``segments_in_zones`` answers GEOS's predicates on whole lines from each segment against its
zone cut to it (an empty cut where the segment lies apart); worked out here by hand.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, box

from zoning.screening.segments import line_segments, segment_zones, segments_in_zones


def _predicates(lines: list[LineString], zone: object) -> tuple[list[bool], ...]:
    geoms = np.array(lines, dtype=object)
    a, b, seg_line = line_segments(geoms)
    # a 200-vertex square ring (zones under CLIP_MIN_VERTICES vertices are not cut)
    cut = segment_zones(a, b, np.full(len(a), zone, dtype=object))
    proper, covered, meets = segments_in_zones(a, b, seg_line, cut, len(lines))
    return proper.tolist(), covered.tolist(), meets.tolist()


def test_segments_apart_from_the_zone_meet_nothing_by_hand() -> None:
    # the square 0..100 with 50 vertices per side, so that it is cut to each segment
    zone = shapely.segmentize(box(0, 0, 100, 100), 2.0)
    assert shapely.get_num_coordinates(zone) >= 48
    lines = [
        LineString([(10, 10), (50, 50), (90, 20)]),  # inside: both segments' cuts hold it
        LineString([(50, 50), (150, 50), (250, 50)]),  # the 2nd segment is apart: empty cut
        LineString([(200, 0), (300, 0), (300, 80)]),  # every segment apart: meets nothing
        LineString([(50, 100), (80, 100), (80, 150)]),  # along the top edge, then out
        LineString([(20, 0), (60, 0)]),  # on the bottom edge: covered, not in the interior
    ]
    proper, covered, meets = _predicates(lines, zone)
    assert meets == [True, True, False, True, True]
    assert proper == [True, False, False, False, False]
    assert covered == [True, False, False, False, True]
    # GEOS on the whole lines agrees
    geoms = np.array(lines, dtype=object)
    assert meets == shapely.intersects(geoms, zone).tolist()
    assert proper == shapely.contains_properly(zone, geoms).tolist()
    assert covered == shapely.covers(zone, geoms).tolist()


def test_every_cut_empty_and_no_segments() -> None:
    zone = shapely.segmentize(box(0, 0, 100, 100), 2.0)
    proper, covered, meets = _predicates([LineString([(500, 0), (600, 0)])], zone)
    assert (proper, covered, meets) == ([False], [False], [False])
    empty = np.empty(0, dtype=object)
    got = segments_in_zones(np.empty((0, 2)), np.empty((0, 2)), np.empty(0, np.int64), empty, 2)
    assert [x.tolist() for x in got] == [[False, False]] * 3
