/** Fields of the resource that only the service sets; sending one is a 400 that names it. */
export const READ_ONLY_FIELDS = ['id', 'requestType', 'status', 'principalId', 'created', 'updated', 'version', 'errors', 'action', 'data'] as const;
