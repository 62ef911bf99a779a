/// One `NOTIFY` delivered to a listening connection, copied out of libpq's `PGnotify` (which is
/// freed as soon as it is read).
struct PGNotification: Sendable, Equatable {
    /// The channel it was sent on.
    var channel: String
    /// The payload ("" when none was given).
    var payload: String
    /// The process id of the server backend that sent it.
    var senderPID: Int32
}
