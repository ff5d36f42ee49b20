/**
 * Stream entity shapes as they appear on the wire and in export files (legacy chat API, custom
 * fields flattened to the top level). Only what the generator always sets is typed precisely;
 * everything else stays reachable through the index signature.
 */

export interface StreamUser {
  id: string;
  role: string;
  created_at: string;
  updated_at: string;
  last_active?: string;
  banned: boolean;
  online: boolean;
  name?: string;
  image?: string;
  [custom: string]: unknown;
}

export interface StreamChannel {
  cid: string;
  id: string;
  type: string;
  last_message_at?: string | null;
  created_by?: StreamUser | null;
  created_at: string;
  updated_at: string;
  frozen: boolean;
  disabled: boolean;
  member_count: number;
  deleted_at?: string;
  truncated_at?: string;
  name?: string;
  [custom: string]: unknown;
}

export interface StreamMember {
  user_id: string;
  user: StreamUser;
  status: string;
  created_at: string;
  updated_at: string;
  banned: boolean;
  shadow_banned: boolean;
  role: string;
  channel_role: string;
  [custom: string]: unknown;
}

export interface StreamReaction {
  message_id: string;
  user_id: string;
  user: StreamUser | null;
  type: string;
  score: number;
  created_at: string;
  updated_at: string;
  [custom: string]: unknown;
}

export interface StreamAttachment {
  type: string;
  [field: string]: unknown;
}

export interface StreamMessage {
  id: string;
  text: string;
  html: string;
  type: 'regular' | 'reply' | 'system' | 'deleted' | string;
  user: StreamUser | null;
  attachments: StreamAttachment[];
  latest_reactions: StreamReaction[];
  own_reactions: StreamReaction[];
  reaction_counts: Record<string, number> | null;
  reaction_scores: Record<string, number> | null;
  reaction_groups: Record<string, { count: number; sum_scores: number; first_reaction_at: string; last_reaction_at: string }> | null;
  reply_count: number;
  deleted_reply_count: number;
  cid: string;
  created_at: string;
  updated_at: string;
  parent_id?: string;
  show_in_channel?: boolean;
  deleted_at?: string;
  message_text_updated_at?: string;
  pinned: boolean;
  [custom: string]: unknown;
}

export interface StreamRead {
  user: StreamUser;
  last_read: string;
  unread_messages: number;
  last_read_message_id?: string;
}
