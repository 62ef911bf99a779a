import Glibc

/// systemd's credentials (`LoadCredential=`, `SetCredential=`): files in `$CREDENTIALS_DIRECTORY`,
/// readable by the service whatever the owner of the originals. The server looks for its secrets
/// there by name (`api-keys`, `webhook-secret`, `tls-cert`, `tls-key`, `store-password`,
/// `pluggy-client-secret`) when the matching option is not given.
struct SystemdCredentials {
    let directory: String?

    init(environment: [String: String]) {
        let value = environment["CREDENTIALS_DIRECTORY"] ?? ""
        directory = value.hasPrefix("/") ? value : nil
    }

    /// The credential file `name`, if the directory has a regular file of that name.
    func path(of name: String) -> String? {
        guard let directory else { return nil }
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return path
    }
}
