/// Which pages to read again to refresh runs whose offsets are estimated, instead of one request each.
enum RangePlanner {
    /// Runs read before an estimated offset, since estimates drift with deletions and late inserts:
    /// 32 of a page of 1000, an eighth of a smaller one.
    static func margin(pageSize: Int) -> Int { min(32, pageSize / 8) }

    /// The starts of pages of `pageSize` runs that cover every offset, each page beginning `margin`
    /// runs before the first offset it is for and taking the offsets up to `margin` before its end.
    static func pageStarts(offsets: [Int], pageSize: Int) -> [Int] {
        var starts: [Int] = []
        var coveredUpTo = Int.min
        let margin = Self.margin(pageSize: pageSize)
        let reach = max(1, pageSize - 2 * margin)
        for offset in offsets.sorted() where offset >= coveredUpTo {
            let start = max(0, offset - margin)
            starts.append(start)
            coveredUpTo = start + margin + reach
        }
        return starts
    }
}
