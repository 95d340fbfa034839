extension Double {
    /// `5` rather than `5.0` for whole numbers, in configuration messages.
    var cleanDescription: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
