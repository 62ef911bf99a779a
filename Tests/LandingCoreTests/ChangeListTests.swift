import Testing
@testable import LandingCore

/// `ChangeList`: each key once, with its last version, in first-change order, whether it searched
/// its changes one by one (few) or through its index (many).
@Suite struct ChangeListTests {
    /// Keys noted again (before and after the list passes its linear-search limit) keep their first place and take the last version.
    @Test(arguments: [1, ChangeList.linearSearchLimit, ChangeList.linearSearchLimit + 1, 40])
    func note_KeepsEachKeyOnce_WithLastVersion_InFirstChangeOrder(keys: Int) {
        var list = ChangeList()
        var expected: [RecordChange] = []
        for round in 1...3 {
            for index in 0..<keys {
                // Items and sessions with the same id are different keys.
                let key: LandingRecord.Key = index % 2 == 0 ? .item("k\(index / 2)") : .session("k\(index / 2)")
                let version = Int64(round * 100 + index)
                list.note(RecordChange(key: key, version: version))
                if let at = expected.firstIndex(where: { $0.key == key }) {
                    expected[at].version = version
                } else {
                    expected.append(RecordChange(key: key, version: version))
                }
            }
        }
        #expect(list.list == expected)
        #expect(list.list.count == keys)
        #expect(list.list.allSatisfy { $0.version >= 300 })
    }
}
