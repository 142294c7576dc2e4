import Hummingbird
import VigilCore

/// JSON bodies for every answer the coordinator gives, errors included.
///
/// Error bodies name the field, scope or limit at fault and never echo request content or tokens.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        make(status, text: body.jsonText, headers: headers)
    }

    /// A body already written as JSON text.
    static func make(_ status: HTTPResponse.Status, text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(
        _ status: HTTPResponse.Status,
        _ code: String,
        _ reason: String,
        extra: JSONObject = [:],
        headers: HTTPFields = [:]
    ) -> Response {
        var object: JSONObject = ["error": .string(code), "reason": .string(reason)]
        for member in extra { object[member.key] = member.value }
        return make(status, .object(object), headers: headers)
    }

    static func unavailable(retryAfter: Int, reason: String) -> Response {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfter)
        return error(.serviceUnavailable, "unavailable", reason, headers: headers)
    }
}
