# Scale invariance of the fleet benchmark (bench/fleet.sh): the judged
# bundle's adoption at every virtual hour, for the fleet ("all") and each
# segment, in a large run ($big) and a small one ($small) of the same
# scenario and seed; the largest difference in percentage points.
# Input: the large run's summary.json.
.adoption.bundle as $b
| [ ($big[0].adoption | keys[]) as $key
    | range(0; $big[0].t | length) as $i
    | $big[0].t[$i] as $t
    | select($t > 0 and ($t % 3600) == 0)
    | ($small[0].t | index($t)) as $j
    | select($j != null)
    | {segment: $key, hour: ($t / 3600), big: ($big[0].adoption[$key][$b][$i] // 0),
       small: ($small[0].adoption[$key][$b][$j] // 0)}
    | .diff_pts = (((.big - .small) | fabs) * 100) ]
| {bundle: $b, points: length,
   max_diff_pts: (max_by(.diff_pts).diff_pts * 100 | round / 100),
   fleet_max_diff_pts: (map(select(.segment == "all")) | max_by(.diff_pts).diff_pts * 100 | round / 100),
   worst: max_by(.diff_pts),
   by_segment: (group_by(.segment) | map({(.[0].segment): (max_by(.diff_pts).diff_pts * 100 | round / 100)}) | add)}
